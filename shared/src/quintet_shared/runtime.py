"""What a component runs on: its engine, the bus and the clock, built once at the composition root.

Distributed mode builds one per process from settings; embedded mode builds one per component
around a single shared in-process bus and hands it in, so no component knows which mode it runs in.
"""

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from quintet_shared.bus import Bus
from quintet_shared.bus.factory import make_bus
from quintet_shared.clock import Clock, system_clock
from quintet_shared.db import make_engine
from quintet_shared.settings import ComponentSettings


@dataclass
class Runtime:
    engine: Engine
    bus: Bus
    clock: Clock = system_clock
    owns_bus: bool = True  # false when the bus is shared and started/closed by whoever built it

    @classmethod
    def from_settings(cls, settings: ComponentSettings, database_url: str) -> "Runtime":
        return cls(engine=make_engine(database_url), bus=make_bus(settings))

    async def start(self) -> None:
        if self.owns_bus:
            await self.bus.start()

    async def close(self) -> None:
        if self.owns_bus:
            await self.bus.close()
        self.engine.dispose()
