#!/usr/bin/env bash
# Builds the user guide (docs/, mdBook) into target/book. Fails on any warning or error of
# mdBook (a missing chapter or include among them) and on a relative link, in the guide's
# Markdown, to a file or heading that does not exist. scripts/test.sh runs it.
set -euo pipefail
cd "$(dirname "$0")/.."

mdbook=$(command -v mdbook || echo "${CARGO_HOME:-$HOME/.cargo}/bin/mdbook")
[ -x "$mdbook" ] || { echo "build-guide: mdbook is not installed (scripts/test.sh installs it)" >&2; exit 1; }

out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$mdbook" build docs 2>&1 | tee "$out"
if grep -E "WARN|ERROR" "$out" >/dev/null; then
  echo "build-guide: mdbook reported problems (above)" >&2
  exit 1
fi

# Relative links between the rendered pages: every href to a local page (and its #heading) must
# exist in the built book.
python3 - target/book <<'PY'
import html.parser, pathlib, sys, urllib.parse

book = pathlib.Path(sys.argv[1])

class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.links = set(), []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])

pages = {}
for path in book.rglob("*.html"):
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    pages[path.resolve()] = page

broken = []
for path, page in pages.items():
    if path.name in ("print.html", "404.html", "toc.html"):
        continue
    for href in page.links:
        url = urllib.parse.urlsplit(href)
        if url.scheme or url.netloc or href.startswith("mailto:"):
            continue
        target = (path.parent / urllib.parse.unquote(url.path)).resolve() if url.path else path
        if target.is_dir():
            target = target / "index.html"
        if target not in pages:
            # A link out of the book (e.g. ../../ARCHITECTURE.md) must name a file of the repository.
            repo_file = (pathlib.Path("docs/src") / path.relative_to(book.resolve()).parent / url.path).resolve()
            if not (url.path.endswith(".md") and repo_file.exists()):
                broken.append(f"{path.relative_to(book.resolve())}: {href}")
            continue
        if url.fragment and url.fragment not in pages[target].ids:
            broken.append(f"{path.relative_to(book.resolve())}: {href} (no such heading)")

if broken:
    print("build-guide: broken links:\n  " + "\n  ".join(sorted(broken)), file=sys.stderr)
    sys.exit(1)
print(f"build-guide: {len(pages)} pages, every local link resolves")
PY
