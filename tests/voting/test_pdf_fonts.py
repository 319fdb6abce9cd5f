"""The signed list of a named ballot, as a PDF, draws its Chinese with the faces the app
brings, whether or not the system has a Chinese font."""
from tests.pdf_fonts import assert_bundled_faces_draw_the_chinese, pdfs_made_apart, shown_text  # noqa: F401
from tests.voting.test_pages import close, people, run_ballot, vote  # noqa: F401


def test_the_signed_list_pdf_draws_its_chinese_with_the_bundled_faces(client, auth, tree, people,  # noqa: F811
                                                                       pdfs_made_apart):  # noqa: F811
    ballot = run_ballot(client, auth, tree.b1, question="是否同意加装电梯？", secrecy="named")
    vote(client, auth, "13900000001", ballot, "yes")
    close(client, auth, ballot)
    auth.login("moderator")
    response = client.get(f"/ballots/{ballot.id}/signed-list.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    html, pdf = pdfs_made_apart[-1]
    assert response.data == pdf
    assert "是否同意加装电梯" in shown_text(html) and "王秀英" in shown_text(html) and "赞成" in shown_text(html)
    assert_bundled_faces_draw_the_chinese(html, pdf)
