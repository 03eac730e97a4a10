"""Small HTTP servers on 127.0.0.1 that speak real services' protocols, for offline tests."""
