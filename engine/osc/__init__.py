"""OSC input: the address map (routes.py, pure) and the UDP server (server.py, the only socket code)."""
