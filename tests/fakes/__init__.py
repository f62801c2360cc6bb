"""tests/fakes: stand-ins for outside services that tests and the demo talk to.

etsy.py  a fake Etsy Open API v3 (OAuth with PKCE, receipts, listings, shipments)
"""
