"""Security headers on every response, and the nonce that lets the chart's style in."""
import re

from consult.motions.charts import monthly
from consult.motions.figures import Figures


def test_every_page_carries_the_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp and "object-src 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers        # plain HTTP: no HSTS
    secure = client.get("/login", base_url="https://consult.example.org")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert client.get("/healthz").headers["X-Content-Type-Options"] == "nosniff"


def test_each_response_has_its_own_nonce(client):
    first = client.get("/login").headers["Content-Security-Policy"]
    second = client.get("/login").headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", first).group(1)
    assert len(nonce) >= 16 and nonce not in second


def test_the_chart_has_no_script_no_inline_style_attribute_and_a_nonced_style(app):
    from flask import render_template_string

    report = type("Report", (), {"months": [("2026-03", Figures(received=3, completed=2))]})
    with app.test_request_context("/"):
        from consult.headers import csp_nonce

        svg = monthly(report)
        html = render_template_string("{{ chart|with_nonce }}", chart=svg)
        assert "<script" not in html and not re.search(r'\sstyle="', html)
        assert f'<style nonce="{csp_nonce()}"' in html
