from fastapi import FastAPI

from quintet_shared.component import create_service_app
from quintet_shared.runtime import Runtime
from quintet_shared.settings import ComponentSettings
from readings.component import DEFINITION


def create_app(settings: ComponentSettings | None = None, runtime: Runtime | None = None) -> FastAPI:
    return create_service_app(DEFINITION, settings, runtime)
