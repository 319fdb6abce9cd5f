"""The minutes' PDF draws its Chinese with the faces the app brings, whether or not the
system has a Chinese font."""
from tests.minutes.test_pages import sign_by_pages
from tests.pdf_fonts import assert_bundled_faces_draw_the_chinese, pdfs_made_apart, shown_text  # noqa: F401


def test_the_minutes_pdf_draws_its_chinese_with_the_bundled_faces(client, auth, ended, pdfs_made_apart):  # noqa: F811
    record = sign_by_pages(client, auth, ended)          # the PDF is made when the last signature lands
    auth.logout()
    auth.login(ended.cast.zhao.phone)
    response = client.get(f"/minutes/{record.id}/versions/1.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    html, pdf = pdfs_made_apart[-1]
    assert response.data == pdf
    assert "1号楼加装电梯协商会纪要" in shown_text(html) and "采用北侧方案" in shown_text(html)
    assert_bundled_faces_draw_the_chinese(html, pdf)
