"""The cluster tier: tests against a real kube-apiserver (envtest-style, see controlplane.py)."""
