"""Themes: bundled ones load and apply, broken files say where and why, the choice persists."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.color import Color
from textual.geometry import Region
from textual.theme import BUILTIN_THEMES, Theme
from textual.widgets import DataTable, Footer, Header, Label

from feedwatch.config import paths
from feedwatch.tui import themes
from feedwatch.tui.themes import (
    DEFAULT_THEME,
    ThemeError,
    bundled_themes_dir,
    choose_theme,
    load_theme_file,
    load_themes,
    remember_theme,
    remembered_theme,
)

REPO = Path(__file__).resolve().parents[1]
BUNDLED = {"feedwatch-dark", "feedwatch-light", "ansi", "high-contrast", "kanagawa"}
STATES = ("success", "warning", "error")


class StatesApp(App[None]):
    """A stand-in dashboard: each feed state drawn in its theme colour, as text and as a bar."""

    CSS = """
    .live { color: $success; }
    .backoff { color: $warning; }
    .stale { color: $error; text-style: bold; }
    .connecting { color: $accent; }
    .bar-live { background: $success; }
    .bar-stale { background: $error; }
    #status { background: $panel; border-top: hkey $primary; }
    """

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable()
        for state in ("live", "backoff", "stale", "connecting"):
            yield Label(state, classes=state, id=state)
        yield Label("      ", classes="bar-live")
        yield Label("      ", classes="bar-stale")
        yield Label("3 live, 1 stale", id="status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("feed", "state")
        table.add_row("binance-btc", "live")


@pytest.fixture
def no_user_themes(tmp_path: Path) -> Path:
    return tmp_path / "no-user-themes"


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "state"
    monkeypatch.setattr(paths, "state_dir", lambda: folder)
    return folder


def write_theme(folder: Path, filename: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / filename
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def theme_error(path: Path) -> str:
    with pytest.raises(ThemeError) as caught:
        load_theme_file(path)
    assert caught.value.path == path
    return str(caught.value)


VALID = """
name = "mine"
primary = "#4aa8ff"
success = "#3ecf6e"
warning = "#f5b942"
error = "#ff5f5f"
"""


def contrast(first: str, second: str) -> float:
    """WCAG contrast ratio between two colours."""

    def luminance(value: str) -> float:
        colour = Color.parse(value)

        def channel(level: int) -> float:
            c = level / 255
            return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

        r, g, b = (channel(level) for level in colour.rgb)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


# Bundled themes


def test_every_bundled_theme_loads_without_problems(no_user_themes: Path) -> None:
    loaded, problems = load_themes(no_user_themes)
    assert problems == []
    assert {theme.name for theme in loaded} == BUNDLED
    assert DEFAULT_THEME in BUNDLED


def test_bundled_theme_names_match_their_file_names() -> None:
    for path in sorted(bundled_themes_dir().glob("*.toml")):
        assert load_theme_file(path).name == path.stem


def test_bundled_themes_come_from_the_checkout_when_not_installed() -> None:
    assert bundled_themes_dir() == REPO / "themes"


async def test_every_bundled_theme_registers_and_colours_states_on_a_real_app(
    no_user_themes: Path,
) -> None:
    loaded, _ = load_themes(no_user_themes)
    app = StatesApp()
    for theme in loaded:
        app.register_theme(theme)
    async with app.run_test() as pilot:
        for theme in loaded:
            app.theme = theme.name
            await pilot.pause()
            assert app.current_theme is theme
            for widget_id, variable in (("live", "success"), ("stale", "error")):
                drawn = app.query_one(f"#{widget_id}", Label).styles.color
                assert drawn == Color.parse(app.theme_variables[variable]), theme.name
            assert app.native_ansi_color is theme.ansi


def test_bundled_themes_give_each_state_and_connecting_its_own_colour(
    no_user_themes: Path,
) -> None:
    for theme in load_themes(no_user_themes)[0]:
        colours = [Color.parse(getattr(theme, key)) for key in (*STATES, "accent")]
        assert len(set(colours)) == 4, theme.name


def test_bundled_rgb_themes_keep_state_text_readable_on_every_background(
    no_user_themes: Path,
) -> None:
    for theme in load_themes(no_user_themes)[0]:
        if theme.ansi:
            continue
        least = 7.0 if theme.name == "high-contrast" else 4.5  # WCAG AAA / AA for text
        for key in (*STATES, "accent", "foreground"):
            for ground in ("background", "surface", "panel"):
                ratio = contrast(getattr(theme, key), getattr(theme, ground))
                assert ratio >= least, f"{theme.name}: {key} on {ground} is {ratio:.2f}:1"


def test_high_contrast_theme_is_opaque_white_on_black() -> None:
    theme = load_theme_file(bundled_themes_dir() / "high-contrast.toml")
    assert (theme.background, theme.foreground, theme.text_alpha) == ("#000000", "#ffffff", 1.0)
    assert theme.variables["text"] == theme.variables["text-muted"] == "#ffffff"


def test_the_readme_describes_high_contrast_in_the_colours_it_uses() -> None:
    theme = load_theme_file(bundled_themes_dir() / "high-contrast.toml")
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    said = " ".join(readme[readme.index("`high-contrast` (") :].split("`kanagawa`")[0].split())
    assert "black and white" not in said  # it is not: its states are coloured
    named = {"success": ("green live", "#00ff00"), "warning": ("yellow warning", "#ffff00"),
             "error": ("red stale", "#ff5f5f"), "accent": ("magenta connecting", "#ff66ff"),
             "primary": ("cyan keys", "#00ffff")}  # fmt: skip
    for key, (words, colour) in named.items():
        assert getattr(theme, key) == colour
        assert words in said


def test_ansi_theme_uses_only_the_terminals_own_palette() -> None:
    theme = load_theme_file(bundled_themes_dir() / "ansi.toml")
    assert theme.ansi is True, "without ansi = true Textual converts ANSI names to RGB"
    fields = [getattr(theme, key) for key in themes.COLOUR_FIELDS]
    values = fields + [v for k, v in theme.variables.items() if not k.endswith("-style")]
    assert all(Color.parse(value).ansi is not None for value in values), values


def test_validator_knows_every_field_of_textuals_theme() -> None:
    assert set(themes.KNOWN_KEYS) == {field.name for field in dataclasses.fields(Theme)}


def test_every_textual_builtin_theme_would_pass_as_a_user_theme(tmp_path: Path) -> None:
    """The checks refuse mistakes, not themes Textual itself considers fine."""
    for builtin in BUILTIN_THEMES.values():
        fields = dataclasses.asdict(builtin)
        variables = fields.pop("variables")
        fields["name"] = f"{builtin.name}-copy"
        if builtin.ansi:
            variables = {"foreground-disabled": "ansi_default", "surface-active": "ansi_default"}
            variables |= builtin.variables
        lines = [
            f"{key} = {json.dumps(value)}" for key, value in fields.items() if value is not None
        ]
        lines += ["[variables]"] + [f"{key} = {json.dumps(v)}" for key, v in variables.items()]
        path = write_theme(tmp_path, f"{builtin.name}.toml", "\n".join(lines) + "\n")
        load_theme_file(path)


# Broken theme files


def test_unknown_key_is_reported_with_its_line_and_the_key_meant(tmp_path: Path) -> None:
    path = write_theme(tmp_path, "typo.toml", VALID + 'sucess = "#00ff00"\n')
    message = theme_error(path)
    assert str(path) in message
    assert 'line 6: unknown key "sucess" (did you mean "success"?)' in message


def test_unknown_variable_is_reported_with_the_variable_meant(tmp_path: Path) -> None:
    path = write_theme(tmp_path, "typo.toml", VALID + '\n[variables]\nbordr = "#ffffff"\n')
    assert 'line 8: unknown variable "bordr" (did you mean "border"?)' in theme_error(path)


def test_colour_textual_cannot_read_is_reported_with_its_line(tmp_path: Path) -> None:
    text = VALID.replace('"#3ecf6e"', '"grean"').replace('"#ff5f5f"', '"#12345"')
    message = theme_error(write_theme(tmp_path, "colour.toml", text))
    assert 'line 3: success: "grean" is not a colour (did you mean "green"?)' in message
    assert 'line 5: error: "#12345" is not a colour (expected a colour such as "#1e90ff"' in message


def test_bad_variable_values_are_reported(tmp_path: Path) -> None:
    text = VALID + '\n[variables]\nborder = "bleu 50%"\nlink-style = "bold wavy"\n'
    message = theme_error(write_theme(tmp_path, "vars.toml", text))
    assert 'line 8: border: "bleu 50%" is not a colour (did you mean "blue"?)' in message
    assert 'line 9: link-style: "wavy" is not a text style' in message


def test_broken_toml_points_at_the_line_and_column(tmp_path: Path) -> None:
    path = write_theme(tmp_path, "syntax.toml", 'name = "x"\nprimary = #4aa8ff\n')
    message = theme_error(path)
    assert "invalid TOML: line 2, column 11" in message
    assert "2 | primary = #4aa8ff" in message


def test_missing_name_and_primary_are_both_reported(tmp_path: Path) -> None:
    message = theme_error(write_theme(tmp_path, "empty.toml", "dark = true\n"))
    assert '"name" is missing' in message
    assert '"primary" is missing' in message


def test_wrong_types_and_ranges_are_named(tmp_path: Path) -> None:
    text = VALID + 'dark = "yes"\ntext_alpha = 2\nluminosity_spread = "wide"\nvariables = 3\n'
    message = theme_error(write_theme(tmp_path, "types.toml", text))
    assert 'line 6: dark must be true/false, not "yes"' in message
    assert "line 7: text_alpha must be between 0 and 1, not 2" in message
    assert 'line 8: luminosity_spread must be a number, not "wide"' in message
    assert "line 9: variables must be a [variables] table, not 3" in message


def test_theme_named_like_a_textual_builtin_is_refused(tmp_path: Path) -> None:
    path = write_theme(tmp_path, "nord.toml", VALID.replace('"mine"', '"nord"'))
    assert 'name "nord" is a Textual built-in theme' in theme_error(path)
    assert '"nord-custom"' in theme_error(path)


def test_theme_where_live_and_stale_would_look_the_same_is_refused(tmp_path: Path) -> None:
    path = write_theme(tmp_path, "bare.toml", 'name = "bare"\nprimary = "#4aa8ff"\n')
    message = theme_error(path)
    assert "success, warning and error would look the same" in message
    assert "error is not set, so it takes primary's colour" in message


def test_ansi_theme_without_the_variables_textual_needs_is_refused(tmp_path: Path) -> None:
    """Textual's CSS would fail on $ansi-background at start-up; say so before that."""
    text = VALID.replace("#4aa8ff", "ansi_blue") + "ansi = true\n"
    message = theme_error(write_theme(tmp_path, "ansi-mine.toml", text))
    assert "[variables] must set ansi-background, ansi-foreground" in message
    assert 'ansi-background = "ansi_black"' in message


def test_file_that_is_not_utf8_is_reported_not_raised(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'name = "caf\xe9"\n')
    assert "not UTF-8" in theme_error(path)


# Bundled and user themes together


def test_user_theme_replaces_the_bundled_theme_of_the_same_name(tmp_path: Path) -> None:
    user = tmp_path / "user"
    write_theme(user, "mine.toml", VALID.replace('"mine"', '"feedwatch-dark"'))
    loaded, problems = load_themes(user)
    assert problems == []
    by_name = {theme.name: theme for theme in loaded}
    assert set(by_name) == BUNDLED
    assert by_name["feedwatch-dark"].primary == "#4aa8ff"
    assert by_name["feedwatch-dark"].background is None


def test_user_themes_load_from_the_config_folder_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(paths, "_config_dir", lambda: tmp_path / "config")
    write_theme(tmp_path / "config" / "themes", "mine.toml", VALID)
    loaded, problems = load_themes()
    assert problems == []
    assert "mine" in {theme.name for theme in loaded}


def test_broken_user_theme_is_skipped_and_the_rest_still_load(tmp_path: Path) -> None:
    user = tmp_path / "user"
    broken = write_theme(user, "broken.toml", VALID + "sucess = 1\n")
    write_theme(user, "fine.toml", VALID.replace('"mine"', '"fine"'))
    loaded, problems = load_themes(user)
    assert {theme.name for theme in loaded} == BUNDLED | {"fine"}
    assert [problem.path for problem in problems] == [broken]
    assert str(problems[0]).startswith(f"Theme file {broken} was skipped:")


def test_two_user_files_with_one_name_keep_the_first_and_report_the_second(
    tmp_path: Path,
) -> None:
    user = tmp_path / "user"
    write_theme(user, "a.toml", VALID)
    second = write_theme(user, "b.toml", VALID.replace("#4aa8ff", "#123456"))
    loaded, problems = load_themes(user)
    assert next(theme for theme in loaded if theme.name == "mine").primary == "#4aa8ff"
    assert [problem.path for problem in problems] == [second]
    assert 'the name "mine" is already used by a.toml' in str(problems[0])


def test_missing_user_folder_is_not_a_problem(no_user_themes: Path) -> None:
    assert load_themes(no_user_themes)[1] == []


def test_user_folder_that_is_a_file_is_reported(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "themes"
    not_a_folder.write_text("")
    _, problems = load_themes(not_a_folder)
    assert [problem.path for problem in problems] == [not_a_folder]


# Choosing and remembering


def test_chosen_theme_survives_a_restart(state_dir: Path) -> None:
    assert remembered_theme() is None
    remember_theme("kanagawa")
    assert remembered_theme() == "kanagawa"
    assert json.loads((state_dir / "ui.json").read_text()) == {"theme": "kanagawa"}
    assert [path.name for path in state_dir.iterdir()] == ["ui.json"]  # no temporary left


def test_corrupt_state_file_is_ignored_then_replaced(state_dir: Path) -> None:
    state_dir.mkdir()
    for garbage in (b"{not json", b"\xff\xfe", b'["a list"]', b'{"theme": 7}'):
        (state_dir / "ui.json").write_bytes(garbage)
        assert remembered_theme() is None
    remember_theme("ansi")
    assert remembered_theme() == "ansi"


def test_remembering_a_theme_keeps_other_ui_settings(state_dir: Path) -> None:
    state_dir.mkdir()
    (state_dir / "ui.json").write_text('{"sort": "age", "theme": "ansi"}')
    remember_theme("high-contrast")
    assert json.loads((state_dir / "ui.json").read_text()) == {
        "sort": "age",
        "theme": "high-contrast",
    }


def test_unwritable_state_folder_does_not_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setattr(paths, "state_dir", lambda: blocker / "state")
    remember_theme("kanagawa")
    assert remembered_theme() is None


def test_remembered_theme_is_used_while_it_still_loads() -> None:
    names = {"feedwatch-dark", "kanagawa", "textual-dark"}
    assert choose_theme(names, "kanagawa") == "kanagawa"
    assert choose_theme(names, "deleted-theme") == DEFAULT_THEME
    assert choose_theme(names, None) == DEFAULT_THEME
    assert choose_theme({"textual-dark"}, None) == "textual-dark"


async def test_app_starts_in_the_remembered_theme(state_dir: Path, no_user_themes: Path) -> None:
    remember_theme("high-contrast")
    app = StatesApp()
    loaded, _ = load_themes(no_user_themes)
    for theme in loaded:
        app.register_theme(theme)
    app.theme = choose_theme(app.available_themes, remembered_theme())
    async with app.run_test():
        assert app.current_theme.background == "#000000"


# NO_COLOR


def _rendered_colours(app: App[None]) -> set[tuple[int, int, int]]:
    colours: set[tuple[int, int, int]] = set()
    for widget in app.screen.walk_children(with_self=True):
        region = Region(0, 0, widget.size.width, widget.size.height)
        for strip in widget.render_lines(region) if region.area else []:
            for segment in strip:
                style = segment.style
                for colour in (style.color, style.bgcolor) if style else ():
                    if colour is not None and not colour.is_default:
                        colours.add(colour.get_truecolor())
    return colours


async def test_textual_honours_no_color_for_every_bundled_theme(
    monkeypatch: pytest.MonkeyPatch, no_user_themes: Path
) -> None:
    """Textual 8 reads NO_COLOR in App.__init__ and greys every line, so feedwatch need not."""
    monkeypatch.setenv("NO_COLOR", "1")
    loaded, _ = load_themes(no_user_themes)
    app = StatesApp()
    for theme in loaded:
        app.register_theme(theme)
    async with app.run_test() as pilot:
        assert app.no_color
        for theme in loaded:
            app.theme = theme.name
            await pilot.pause()
            colours = _rendered_colours(app)
            assert colours, theme.name
            assert all(r == g == b for r, g, b in colours), (theme.name, colours)


async def test_states_are_coloured_when_no_color_is_unset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The check above would catch colour: without NO_COLOR the same screen is coloured."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    app = StatesApp()
    app.register_theme(load_theme_file(bundled_themes_dir() / "feedwatch-dark.toml"))
    app.theme = DEFAULT_THEME
    async with app.run_test() as pilot:
        await pilot.pause()
        assert not app.no_color
        assert any(not r == g == b for r, g, b in _rendered_colours(app))


# The installed wheel


def test_installed_wheel_finds_every_bundled_theme(tmp_path: Path, built_wheel: Path) -> None:
    """The themes must travel inside the wheel, not only sit in the checkout."""
    site = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "install", "--no-deps", "--target", site, built_wheel], check=True, timeout=120
    )
    probe = textwrap.dedent(
        """
        import json, feedwatch
        from feedwatch.tui.themes import bundled_themes_dir, load_themes
        themes, problems = load_themes(user_dir=__import__("pathlib").Path("absent"))
        print(json.dumps({
            "package": feedwatch.__file__,
            "themes_dir": str(bundled_themes_dir()),
            "names": sorted(theme.name for theme in themes),
            "problems": [str(problem) for problem in problems],
        }))
        """
    )
    environment = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    found = json.loads(result.stdout)
    assert Path(found["package"]).is_relative_to(site)
    assert Path(found["themes_dir"]) == site / "feedwatch" / "themes"
    assert set(found["names"]) == BUNDLED
    assert found["problems"] == []
