"""Repricing settings and monitoring rounds: /marketplace/repricing/settings, /marketplace/monitoring/rounds."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool
from sqlmodel import col, func, select

from marketplace.models import MonitoringRound, RepricingSetting
from marketplace.models.pricing import DEFAULT_COOLDOWN_SECONDS, DEFAULT_MAX_CHANGES_PER_DAY
from marketplace.monitor_jobs import SERVICE, queue_round
from marketplace.pricing_answers import INVALID, UNSIGNED
from quintet_shared.context import ClientDep
from quintet_shared.deps import NowDep, PageDep, PageSizeDep, SessionDep
from quintet_shared.errors import Conflict, documented_problem
from quintet_shared.jobs import JobAccepted
from quintet_shared.pagination import DEFAULT_PAGE_SIZE, Page, page_of

router = APIRouter(tags=["marketplace: monitoring and repricing"])

MerchantId = Annotated[str, Field(strict=True, min_length=1, max_length=64)]


def _whole(value: Any) -> Any:
    # JSON Schema's integer includes 60.0; a string or a fraction is still refused (strict int).
    return int(value) if isinstance(value, float) and value.is_integer() else value


WholeNumber = Annotated[int, BeforeValidator(_whole), Field(strict=True)]


class RepricingSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ignored_merchant_ids: list[MerchantId] = Field(
        default_factory=list, max_length=500, description="Merchants never undercut nor priced against"
    )
    cooldown_seconds: WholeNumber = Field(
        DEFAULT_COOLDOWN_SECONDS, ge=0, le=7 * 86_400, description="Least time between two changes of one product"
    )
    max_changes_per_day: WholeNumber = Field(
        DEFAULT_MAX_CHANGES_PER_DAY, ge=0, le=10_000, description="Most changes of one product in 24 hours"
    )
    dry_run: StrictBool = Field(False, description="Record the proposals without changing prices nor publishing")


class RoundPublic(BaseModel):
    id: int
    started_at: datetime
    finished_at: datetime | None
    summary: dict[str, Any]


@router.get(
    "/marketplace/repricing/settings",
    response_model=RepricingSettings,
    responses={**UNSIGNED},
    summary="The client's repricing settings (the defaults until set)",
)
def get_settings(client: ClientDep, session: SessionDep) -> RepricingSettings:
    row = session.get(RepricingSetting, client.client_code)
    return _public(row) if row else RepricingSettings()


@router.put(
    "/marketplace/repricing/settings",
    response_model=RepricingSettings,
    responses={**UNSIGNED, **INVALID},
    summary="Replace the client's repricing settings (a field left out takes its default)",
)
def put_settings(data: RepricingSettings, client: ClientDep, session: SessionDep, now: NowDep) -> RepricingSettings:
    row = session.get(RepricingSetting, client.client_code) or RepricingSetting(
        client=client.client_code, updated_at=now
    )
    row.ignored_merchant_ids = sorted(set(data.ignored_merchant_ids))
    row.cooldown_seconds, row.max_changes_per_day, row.dry_run = (
        data.cooldown_seconds,
        data.max_changes_per_day,
        data.dry_run,
    )
    row.updated_at = now
    session.add(row)
    session.commit()
    return _public(row)


@router.post(
    "/marketplace/monitoring/rounds",
    status_code=202,
    response_model=JobAccepted,
    responses={**UNSIGNED, 409: documented_problem("A round of this client is queued or running: `round_running`")},
    summary="Run a monitoring round now (a job)",
)
def start_round(client: ClientDep, session: SessionDep) -> JobAccepted:
    job_id = queue_round(session, client=client.client_code)
    if job_id is None:
        raise Conflict("A monitoring round of this client is queued or running.", code="round_running")
    session.commit()
    return JobAccepted.for_job(SERVICE, job_id)


@router.get(
    "/marketplace/monitoring/rounds",
    response_model=Page[RoundPublic],
    responses={**UNSIGNED, **INVALID},
    summary="The client's monitoring rounds, the latest first, with their summaries",
)
def list_rounds(
    request: Request,
    client: ClientDep,
    session: SessionDep,
    page: PageDep = 1,
    page_size: PageSizeDep = DEFAULT_PAGE_SIZE,
) -> Page[RoundPublic]:
    where = MonitoringRound.client == client.client_code
    count = session.exec(select(func.count()).select_from(MonitoringRound).where(where)).one()
    rows = session.exec(
        select(MonitoringRound)
        .where(where)
        .order_by(col(MonitoringRound.id).desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    items = [
        RoundPublic(id=r.id or 0, started_at=r.started_at, finished_at=r.finished_at, summary=r.summary) for r in rows
    ]
    return page_of(items, count=count, page=page, page_size=page_size, url=request.url)


def _public(row: RepricingSetting) -> RepricingSettings:
    return RepricingSettings(
        ignored_merchant_ids=list(row.ignored_merchant_ids),
        cooldown_seconds=row.cooldown_seconds,
        max_changes_per_day=row.max_changes_per_day,
        dry_run=row.dry_run,
    )
