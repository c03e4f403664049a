"""`make_bus` picks the transport from settings alone (building a bus opens no connection)."""

from quintet_shared.bus.factory import make_bus
from quintet_shared.bus.memory import InMemoryBus
from quintet_shared.bus.rabbit import RabbitBus
from quintet_shared.settings import ComponentSettings


def test_in_process_bus_without_an_amqp_url() -> None:
    bus = make_bus(ComponentSettings(amqp_url=None, bus_namespace="ns", bus_delivery_limit=7))

    assert isinstance(bus, InMemoryBus)
    assert bus.topology.exchange == "ns.quintet.events"
    assert bus.delivery_limit == 7


def test_rabbitmq_bus_with_an_amqp_url() -> None:
    settings = ComponentSettings(
        amqp_url="amqp://guest:guest@broker:5672/", bus_namespace="ns", bus_delivery_limit=7, bus_prefetch=50
    )

    bus = make_bus(settings)

    assert isinstance(bus, RabbitBus)
    assert bus.url == "amqp://guest:guest@broker:5672/"
    assert bus.topology.queue("crm.events") == "ns.crm.events"
    assert (bus.delivery_limit, bus.prefetch) == (7, 50)
    assert not bus.is_ready()
