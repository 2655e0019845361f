#!/usr/bin/env python3
"""Client-credentials grant with Debian's python3-authlib (raw HTTP Basic, like hcs-cli).

Usage: authlib_client_credentials.py TOKEN_URL CLIENT_ID CLIENT_SECRET
Prints the token response as one JSON object; exit 2 if authlib is missing, 1 on an OAuth error.
"""
import json
import sys

try:
    from authlib.integrations.requests_client import OAuth2Session
except ImportError as e:  # the test skips on this
    print(json.dumps({"skip": f"authlib not importable: {e}"}))
    sys.exit(2)

url, client_id, client_secret = sys.argv[1:4]
session = OAuth2Session(client_id, client_secret)  # token_endpoint_auth_method defaults to client_secret_basic
try:
    token = session.fetch_token(url, grant_type="client_credentials")
except Exception as e:  # authlib raises OAuthError with .error for RFC 6749 errors
    print(json.dumps({"error": getattr(e, "error", type(e).__name__), "description": getattr(e, "description", str(e))}))
    sys.exit(1)
print(json.dumps(dict(token)))
