"""Test support for the e2e tier: a real one-node Kubernetes cluster on this machine (node.py)."""
