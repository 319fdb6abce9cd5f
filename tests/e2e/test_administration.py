"""An administrator on a phone: imports a household list and prints the invite sheet."""
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e

CSV = "楼栋,单元,房号,面积,业主姓名,手机号\n5号楼,1单元,101,86.50,刘芳,13700000001\n5号楼,1单元,102,72.30,,\n"


def sign_in_as_admin(page):
    page.goto("/login")
    page.get_by_label("手机号或用户名").fill("admin")
    page.get_by_label("密码").fill("admin password")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="管理", exact=True)).to_be_visible()


def test_import_households_then_print_invite_codes(phone_page, tmp_path):
    page = phone_page
    sign_in_as_admin(page)
    page.get_by_role("link", name="大屯街道").click()
    page.get_by_role("link", name="富成花园社区").click()
    page.get_by_role("link", name="导入住户").click()

    bad = tmp_path / "bad.csv"
    bad.write_bytes(CSV.replace("86.50", "八十").encode("gb18030"))
    page.get_by_label("住户名单（CSV 或 XLSX）").set_input_files(str(bad))
    page.get_by_role("button", name="检查并导入").click()
    expect(page.locator(".problems")).to_contain_text("没有导入任何内容")
    expect(page.locator(".problems td.num").first).to_have_text("2")
    screenshot(page, "import-rejected-phone")

    good = tmp_path / "good.csv"
    good.write_bytes(CSV.encode("gb18030"))
    page.get_by_label("住户名单（CSV 或 XLSX）").set_input_files(str(good))
    page.get_by_role("button", name="检查并导入").click()
    expect(page.locator(".success")).to_contain_text("新增住户：2")

    page.goto("/places/")
    page.get_by_role("link", name="大屯街道").click()
    page.get_by_role("link", name="富成花园社区").click()
    page.get_by_role("link", name="5号楼").click()
    page.get_by_role("link", name="邀请码清单").click()
    page.get_by_role("button", name="为没有邀请码的住户生成").click()
    codes = page.locator(".slip .code")
    expect(codes).to_have_count(2)
    assert all(re.fullmatch(r"[A-Z2-9]{8}", c) for c in codes.all_inner_texts())
    screenshot(page, "invite-sheet-phone")
