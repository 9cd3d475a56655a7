"""Settings: file < environment < flags; a broken file is one clear line; secrets never show; saving keeps comments."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.cli import run_beian as _beian
from tracker.cli.main import _register_commands, cli
from tracker.config import Settings, load_settings, save_setting
from tracker.errors import ConfigError

TOKEN = "tok_9f8e7d6c5b4a39281706f5e4d3c2b1a0"
API_SECRET = "sec_0a1b2c3d4e5f60718293a4b5c6d7e8f9"
DB_PASSWORD = "pw-Zq8rT2vL"


def _write(home: Path, text: str) -> Path:
    path = home / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_file_then_environment_then_overrides(
    isolated_settings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(
        isolated_settings,
        'language = "en"\nlock_timeout = 3\ntheme = "nord"\n\n[twilio]\nfrom = "+15005550006"\naccount_sid = "AC0001"\n',
    )
    settings = load_settings()
    assert (settings.language, settings.lock_timeout, settings.theme) == ("en", 3.0, "nord")
    assert (settings.twilio_from, settings.twilio_account_sid) == (
        "+15005550006",
        "AC0001",
    )  # [twilio] from = twilio_from

    monkeypatch.setenv("BEIAN_LANGUAGE", "zh")
    monkeypatch.setenv("BEIAN_TWILIO_FROM", "+15005550009")
    monkeypatch.setenv("BEIAN_THEME", "")  # an empty variable does not erase the file's value
    settings = load_settings()
    assert (settings.language, settings.twilio_from, settings.theme, settings.lock_timeout) == (
        "zh",
        "+15005550009",
        "nord",
        3.0,
    )

    assert load_settings(language="both", theme=None).language == "both"
    assert load_settings(language="both", theme=None).theme == "nord"


def test_no_file_means_defaults(isolated_settings: Path) -> None:
    assert not (isolated_settings / "config.toml").exists()
    assert load_settings() == Settings()


def test_database_choice_flag_beats_environment_beats_file(
    isolated_settings: Path,
    sqlite_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    broken = f"sqlite:///{tmp_path}/missing-folder/beian.db"
    _write(isolated_settings, f'database_url = "{broken}"\n')
    code, _, err = _beian(capsys, "list")
    assert code == 5 and "missing-folder" in err  # the file's choice is used

    monkeypatch.setenv("BEIAN_DATABASE_URL", sqlite_url)
    code, out, err = _beian(capsys, "list", "--json")
    assert (code, out.strip()) == (0, "[]"), err  # the environment wins over the file

    code, _, err = _beian(capsys, "--db", broken, "list")
    assert code == 5 and "missing-folder" in err  # the flag wins over both


@pytest.mark.parametrize(
    "text",
    ['language = "en"\nlanguage = "zh"\n', "[twilio\nfrom = 1\n", 'theme = "unterminated\n'],
    ids=["duplicate key", "unclosed table", "unterminated string"],
)
def test_malformed_toml_is_a_config_error_naming_the_file(
    isolated_settings: Path, text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(isolated_settings, text)
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings()
    code, out, err = _beian(capsys, "diagram")
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and str(path) in err and "Traceback" not in err


def test_a_bad_value_names_the_setting(
    isolated_settings: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(isolated_settings, 'language = "fr"\n')
    with pytest.raises(ConfigError, match="language"):
        load_settings()
    _write(isolated_settings, "")
    monkeypatch.setenv("BEIAN_LOCK_TIMEOUT", "soon")
    code, _, err = _beian(capsys, "list")
    assert code == 2 and len(err.splitlines()) == 1 and "lock_timeout" in err


def test_secrets_never_show(
    isolated_settings: Path,
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _write(
        isolated_settings,
        f'[twilio]\nauth_token = "{TOKEN}"\naccount_sid = "AC0001"\nfrom = "+15005550006"\n',
    )
    monkeypatch.setenv("BEIAN_TWILIO_API_SECRET", API_SECRET)
    settings = load_settings()
    assert settings.twilio_auth_token is not None and settings.twilio_auth_token.get_secret_value() == TOKEN
    assert settings.sms_configured
    for shown in (repr(settings), str(settings), settings.model_dump_json(), repr(settings.model_dump())):
        assert TOKEN not in shown and API_SECRET not in shown

    _register_commands()
    runs = [[*path, "--help"] for path in ([], *([name] for name in cli.commands))]
    runs += [
        ["--db", sqlite_url, *args]
        for args in (
            ["init", "--json"],
            ["list"],
            ["list", "--json"],
            ["org", "list"],
            ["show", "ALG-0001"],
            ["diagram"],
        )
    ]
    for args in runs:
        code, out, err = _beian(capsys, *args)
        assert TOKEN not in out + err and API_SECRET not in out + err, args


def test_database_passwords_never_show(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"postgresql://beian:{DB_PASSWORD}@127.0.0.1:1/beian"
    for args in (
        ["--db", url, "list"],
        ["--db", url, "init"],
        ["--db", url, "advance", "ALG-0001", "submit"],
    ):
        code, out, err = _beian(capsys, *args)
        assert code == 5
        assert DB_PASSWORD not in out + err


def test_save_setting_keeps_comments_and_other_values(isolated_settings: Path) -> None:
    path = _write(
        isolated_settings,
        "# beian settings, kept by hand\n"
        'language = "zh"  # 显示语言\n'
        "\n"
        "# SMS\n"
        "[twilio]\n"
        'from = "+15005550006"\n',
    )
    assert save_setting("language", "en") == path
    assert save_setting("theme", "nord") == path
    text = path.read_text(encoding="utf-8")
    assert "# beian settings, kept by hand" in text and "# 显示语言" in text and "# SMS" in text
    settings = load_settings()
    assert (settings.language, settings.theme, settings.twilio_from) == ("en", "nord", "+15005550006")
    with pytest.raises(ConfigError, match="unknown setting"):
        save_setting("colour", "red")
    assert path.read_text(encoding="utf-8") == text


def test_save_setting_creates_the_file(isolated_settings: Path) -> None:
    path = save_setting("language", "en")
    assert path == isolated_settings / "config.toml"
    assert load_settings().language == "en"
