"""Practice sizes of the KBV/KZBV IT-Sicherheitsrichtlinie and the Anlagen that apply to each
(docs/domain.md §1.1). A module of its own so that the command line's --help (which lists
the sizes) does not import the site file's parser and the scan policy behind it."""

SIZES = {
    "praxis": ("Anlage 1",),
    "mittlere-praxis": ("Anlage 1", "Anlage 2"),
    "grosspraxis": ("Anlage 1", "Anlage 2", "Anlage 3"),
}
