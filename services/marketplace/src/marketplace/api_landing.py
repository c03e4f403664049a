"""`GET /marketplace/public/landing`: the seller tool's landing content, read without an app id."""

from marketplace import landing
from marketplace.schemas_tariffs import Landing
from quintet_shared.answers import UNSIGNED
from quintet_shared.deps import SessionDep
from quintet_shared.public import PublicCallerDep, public_router

router = public_router("marketplace")


@router.get(
    "/landing",
    response_model=Landing,
    responses={**UNSIGNED},
    summary="Tariffs on sale, reviews, FAQ and footer links (public: no app id)",
)
def get_landing(caller: PublicCallerDep, session: SessionDep) -> Landing:
    return landing.landing(session)
