"""Infrastructure shared by several adapters (never an adapter of a port itself).

Adapters may not import each other; what two of them need alike lives here instead, and this package
imports no adapter.
"""
