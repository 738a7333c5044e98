"""Deployment tests: the installed `earnings-bot run` process against the loopback servers.

See tests/deployment/conftest.py for how to run them.
"""
