"""A resident's first visit, in a real browser at a phone's width."""
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e


def test_register_sign_in_switch_language_and_see_home(phone_page, invite_code):
    page = phone_page
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    page.get_by_role("link", name="用邀请码注册").click()

    page.get_by_label("邀请码").fill(invite_code.lower())
    page.get_by_label("您的姓名").fill("王秀英")
    page.get_by_label("手机号码").fill("13912345678")
    page.get_by_label("密码", exact=True).fill("a long password")
    page.get_by_label("再次输入密码").fill("a long password")
    page.get_by_label("我已阅读上述说明并同意").check()
    page.get_by_role("button", name="注册").click()
    expect(page.locator("h1")).to_contain_text("王秀英")
    assert "502" in page.content()

    page.get_by_role("button", name="退出登录").click()
    page.get_by_role("link", name="登录").first.click()
    page.get_by_label("手机号或用户名").fill("13912345678")
    page.get_by_label("密码").fill("a long password")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="我的住户")).to_be_visible()
    screenshot(page, "home-phone-zh")

    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="My households")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.reload()
    expect(page.get_by_role("heading", name="My households")).to_be_visible()

    # The page fits a phone: nothing wider than the screen.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    path = screenshot(page, "home-phone-en")
    assert path.stat().st_size > 10_000


def test_wrong_code_shows_a_clear_message(phone_page):
    page = phone_page
    page.goto("/register")
    page.get_by_label("邀请码").fill("WRONG123")
    page.get_by_label("您的姓名").fill("李四")
    page.get_by_label("手机号码").fill("13912340000")
    page.get_by_label("密码", exact=True).fill("a long password")
    page.get_by_label("再次输入密码").fill("a long password")
    page.get_by_label("我已阅读上述说明并同意").check()
    page.get_by_role("button", name="注册").click()
    expect(page.locator(".flash-error")).to_be_visible()
    expect(page.locator(".flash-error")).to_contain_text("邀请码无效")
