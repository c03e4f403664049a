"""Client file formats as plug-ins: a parser module per format, registered by name (see registry.py).

To add a format: write its module (a class with `name`, `description` and `parse`, see base.py) and
register it here, one line.
"""

from readings.formats import registry
from readings.formats.carrots import CarrotsParser
from readings.formats.potatoes import PotatoesParser

registry.register(PotatoesParser())
registry.register(CarrotsParser())
