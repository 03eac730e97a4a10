"""Outbound HTTP for anything a model can steer: URLs checked at every hop, connections pinned to checked addresses.

`Egress.get(url)` / `Egress.post_json(url, payload)` follow redirects themselves
(at most `MAX_HOPS`), refuse private, loopback, link-local, reserved, multicast,
unspecified and cloud-metadata addresses at every hop (unless private hosts are
allowed), resolve each name once and connect to exactly the address they checked
(TLS still verifies the certificate for the name), and refuse any URL that
carries a secret value in any spelling `core.text` knows.
"""

from egress.client import MAX_HOPS, Egress, EgressResponse
from egress.policy import EgressError, EgressUnreachable, address_problem

__all__ = ["MAX_HOPS", "Egress", "EgressError", "EgressResponse", "EgressUnreachable", "address_problem"]
