"""Inputs hash exactly what the model sees; settings describe themselves for signatures."""

from __future__ import annotations

from tvbench.data.inputs import GenerationSettings, ImagePart, ModelInput, VideoPart


def test_fingerprint_covers_text_media_bytes_and_order() -> None:
    a, b = ImagePart(b"png-one"), ImagePart(b"png-two")
    base = ModelInput.user(a, "What is this?")
    same = ModelInput.user(ImagePart(b"png-one"), "What is this?")
    assert base.fingerprint() == same.fingerprint()
    assert base.fingerprint() != ModelInput.user(b, "What is this?").fingerprint()
    assert base.fingerprint() != ModelInput.user(a, "What is that?").fingerprint()
    assert base.fingerprint() != ModelInput.user("What is this?", a).fingerprint()
    with_system = ModelInput.user(a, "What is this?", system="Be brief.")
    assert with_system.fingerprint() != base.fingerprint()
    assert with_system.render().startswith("[system] Be brief.\n[user] <image>What is this?")


def test_video_frame_count_is_part_of_the_identity() -> None:
    assert VideoPart(b"mp4", 8).digest != VideoPart(b"mp4", 32).digest
    inp = ModelInput.user(VideoPart(b"mp4", 8), "Q")
    assert inp.videos and not inp.images and "<video>" in inp.render()


def test_generation_settings_describe_and_cap() -> None:
    s = GenerationSettings(max_new_tokens=128, stop=("ASSISTANT:",))
    assert s.describe().startswith("greedy,max128,stop=")
    assert s.capped(16).max_new_tokens == 16 and s.capped(16).stop == s.stop
    assert s.capped(None) is s and s.capped(512) is s
    assert GenerationSettings(temperature=0.7).describe() == "t0.7,max128"
