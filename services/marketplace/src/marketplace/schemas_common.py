"""Field types and body bases every marketplace schema uses.

Bodies are strict: numbers must be JSON numbers, unknown fields are refused, and every bound is
checked here so that nothing out of a column's range reaches the database. A PATCH may leave a
field out but not set it to null.
"""

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from quintet_shared.rows import MAX_ID

MAX_CENTS = 10**15  # ten trillion tenge: beyond any price, inside a 64-bit column
MAX_UNITS = 10**9

# Printable text without control characters (NUL included: PostgreSQL refuses it in text).
_TEXT = r"^[^\x00-\x1f\x7f]*$"

Id = Annotated[int, Field(strict=True, ge=1, le=MAX_ID)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=_TEXT)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500, pattern=_TEXT)]
Code = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[^\s\x00-\x1f\x7f]+$")
]
Cents = Annotated[int, Field(strict=True, ge=0, le=MAX_CENTS, description="Integer minor units (tiyn)")]
PositiveCents = Annotated[int, Field(strict=True, ge=1, le=MAX_CENTS, description="Integer minor units (tiyn)")]
Units = Annotated[int, Field(strict=True, ge=0, le=MAX_UNITS)]
Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=3, max_length=320, pattern=r"^[^@\s\x00-\x1f]+@[^@\s\x00-\x1f]+$"
    ),
]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Patch(Body):
    """Every field optional; a field sent as null is refused. Fields are typed without `| None` and
    default to None: a left-out field is None (and not in `changes()`)."""

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("must not be null (leave the field out to keep it)")
        return value

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)
