"""Client file formats as plug-ins: a parser module per format, registered by name (see registry.py)."""
