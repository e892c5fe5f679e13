"""The report's settings: minimum segment size and the work-mode attribute, checked when settings load."""

from __future__ import annotations

import pytest

from core.errors import InputError
from micromentor.settings import load_settings


def test_defaults() -> None:
    settings = load_settings({}, refuse_local_defaults=False)
    assert (settings.report_min_segment, settings.report_work_mode_attribute) == (5, None)


def test_both_set() -> None:
    settings = load_settings(
        {
            "MICROMENTOR_REPORT_MIN_SEGMENT": "8",
            "MICROMENTOR_REPORT_WORK_MODE_ATTRIBUTE": "onPremisesExtensionAttributes.extensionAttribute3",
        },
        refuse_local_defaults=False,
    )
    assert settings.report_min_segment == 8
    assert settings.report_work_mode_attribute == "onPremisesExtensionAttributes.extensionAttribute3"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MICROMENTOR_REPORT_MIN_SEGMENT", "1"),  # one person would be a segment
        ("MICROMENTOR_REPORT_MIN_SEGMENT", "many"),
        ("MICROMENTOR_REPORT_WORK_MODE_ATTRIBUTE", "employeeType,department"),
        ("MICROMENTOR_REPORT_WORK_MODE_ATTRIBUTE", "onPremisesExtensionAttributes.extensionAttribute0"),
    ],
)
def test_a_bad_value_is_refused_naming_the_setting(name: str, value: str) -> None:
    with pytest.raises(InputError) as caught:
        load_settings({name: value}, refuse_local_defaults=False)
    assert caught.value.field == name
