"""Guide progress lives in Rasa's tracker store: after the whole stack restarts, the next message
carries on from the step the person was at."""
from test_end_to_end import chat, running_stack, text_of


def test_a_guide_resumes_after_a_restart(tmp_path):
    sender = "e2e-restart"
    with running_stack(tmp_path / "data", tmp_path / "first.log") as stack:
        answer = chat(stack, sender, "quên mật khẩu VNeID thì làm sao")
        (offer,) = [b for m in answer["messages"] for b in m.get("buttons", []) if b["title"] == "Hướng dẫn từng bước"]
        assert "Bước 1/" in text_of(chat(stack, sender, offer["payload"]))
        assert "Bước 2/" in text_of(chat(stack, sender, "/guide_done"))
    with running_stack(tmp_path / "data", tmp_path / "second.log") as stack:
        resumed = chat(stack, sender, "xong rồi")
        assert resumed["kind"] == "guide_step" and "Bước 3/" in text_of(resumed)
