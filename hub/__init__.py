"""Hugging Face Hub integration: publish our tools, load trusted remote tools, deploy the app to a Space."""
