import pytest

from consult.privacy import mask_name, mask_phone


@pytest.mark.parametrize("phone, masked", [
    ("13812341234", "138****1234"), ("", ""), (None, ""), ("12345", "*****"),
])
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


@pytest.mark.parametrize("name, masked", [
    ("王小明", "王**"), ("王明", "王*"), ("欧阳娜娜", "欧***"), ("王", "王"), ("John Smith", "J***"), ("", ""),
])
def test_mask_name(name, masked):
    assert mask_name(name) == masked
