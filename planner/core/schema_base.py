"""Field types and the strict base model shared by every user-facing schema.

The scenario (``planner.core.scenario``) and its uncertainty block
(``planner.core.uncertainty``) validate alike: unknown keys are errors and a boolean is never
read as a number. They live here so both can use them without importing each other.
"""

from __future__ import annotations

from typing import Annotated, Any, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

Share = Annotated[float, Field(ge=0.0, le=1.0)]
#: a share strictly below 1: a yearly price decline, a yearly chip failure rate or a +/- price
#: range, where 1 would take a price or a cut chip's capacity to nothing
PartShare = Annotated[float, Field(ge=0.0, lt=1.0)]
NonNegative = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
#: a layer weight: bounded so that the sum of three cannot overflow
Weight = Annotated[float, Field(ge=0.0, le=1e6, allow_inf_nan=False)]


def _yaml_type(value: Any) -> str:
    """What a YAML value is, in a user's words (never its content: it may quote a path)."""
    kinds = {bytes: "binary data (!!binary)", bool: "a boolean", int: "a number",
             float: "a number", list: "a list", dict: "a mapping"}  # fmt: skip
    return next((w for t, w in kinds.items() if isinstance(value, t)), type(value).__name__)


def _mentions_bool(annotation: Any) -> bool:
    """True if a field's type admits a boolean anywhere (``bool``, ``bool | None``, ...) or
    holds a nested model (which checks its own fields)."""
    if annotation is bool or annotation is Any:
        return True
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    return any(_mentions_bool(a) for a in get_args(annotation))


def _has_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, dict):
        return any(_has_bool(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_bool(v) for v in value)
    return False


Positive = Annotated[float, Field(gt=0.0, allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans_as_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        """``budget: true`` is a typo, not 1: booleans are only accepted by boolean fields
        (pydantic's lax mode would turn true into 1.0)."""
        if info.field_name in _bool_free_fields(cls) and _has_bool(value):
            raise ValueError("expected a number or text, got a boolean (true/false)")
        return value


#: model class -> names of its fields whose type admits no boolean (see ``_bool_free_fields``)
_BOOL_FREE: dict[type[BaseModel], frozenset[str]] = {}


def _bool_free_fields(cls: type[BaseModel]) -> frozenset[str]:
    """The fields of ``cls`` that refuse a boolean, read once per class.

    Why cached: the check runs on every field of every validation, and a plan's ranges
    validate one scenario per future (64 for the default sample); reading each field's type
    again each time was a third of that validation (issue 27). A model's fields are fixed when
    its class is built, so the answer never changes.
    """
    names = _BOOL_FREE.get(cls)
    if names is None:
        names = frozenset(
            name for name, f in cls.model_fields.items() if not _mentions_bool(f.annotation)
        )
        _BOOL_FREE[cls] = names
    return names
