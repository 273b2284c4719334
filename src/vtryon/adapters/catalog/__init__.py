"""adapters/catalog: explore-mode nail designs (built-in, or a directory of design pictures)."""
