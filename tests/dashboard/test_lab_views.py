"""Per-use-case lab views are found by module name; a use case without one gets the image views."""

from dashboard.lab_views import view_function, view_module


def test_missing_view_module_means_default_views():
    assert view_module("vision") is None
    assert view_function("vision", "render_lab") is None
    assert view_function(None, "render_lab") is None


def test_odd_ids_never_import_anything():
    assert view_module("../pages") is None
    assert view_module("os.path") is None
