// Command sentences checks that moving documentation lost nothing: every
// sentence, table cell and code line of an old Markdown file must appear,
// whitespace and link targets aside, in one of the new files.
//
//	git show 7b1016f:README.md > /tmp/old-README.md
//	go run ./tools/sentences -old /tmp/old-README.md README.md docs/*.md
//
// It prints each unit it cannot find and exits 1 if there is any.
package main

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
)

var (
	linkTarget  = regexp.MustCompile(`\]\([^)]*\)`)
	heading     = regexp.MustCompile(`(?m)^#+\s+`)
	space       = regexp.MustCompile(`\s+`)
	sentenceEnd = regexp.MustCompile(`([.!?;])\s+`)
	listItem    = regexp.MustCompile(`^\d+\. `)
)

// normalize drops what a move may change: link targets (a section now in
// another file), heading levels, line wrapping.
func normalize(s string) string {
	s = linkTarget.ReplaceAllString(s, "]")
	s = heading.ReplaceAllString(s, "")
	return strings.TrimSpace(space.ReplaceAllString(s, " "))
}

// units splits Markdown into what must survive: each code line, each table
// cell, each sentence of the prose.
func units(md string) []string {
	var out, para []string
	flush := func() {
		text := normalize(strings.Join(para, "\n"))
		para = nil
		if text == "" {
			return
		}
		// A list marker is layout: an item may move into another list.
		text = strings.TrimSpace(listItem.ReplaceAllString(strings.TrimPrefix(text, "- "), ""))
		for _, s := range strings.Split(sentenceEnd.ReplaceAllString(text, "$1\x00"), "\x00") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	code := false
	for _, line := range strings.Split(md, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trimmed, "```"):
			flush()
			code = !code
		case code:
			if t := normalize(line); t != "" {
				out = append(out, t)
			}
		case strings.HasPrefix(trimmed, "|"):
			flush()
			for _, cell := range strings.Split(strings.Trim(trimmed, "|"), " | ") {
				if c := normalize(cell); c != "" && strings.Trim(c, "-: ") != "" {
					out = append(out, c)
				}
			}
		case trimmed == "":
			flush()
		case strings.HasPrefix(trimmed, "- ") || listItem.MatchString(trimmed):
			flush() // a list item starts a unit of its own
			para = append(para, line)
		default:
			para = append(para, line)
		}
	}
	flush()
	return out
}

func main() {
	old := flag.String("old", "", "the Markdown file as it was")
	flag.Parse()
	if *old == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: sentences -old OLD.md NEW.md...")
		os.Exit(2)
	}
	src, err := os.ReadFile(*old)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var corpus strings.Builder
	for _, f := range flag.Args() {
		b, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		corpus.WriteString(normalize(string(b)) + " ")
	}
	all := corpus.String()
	missing := 0
	us := units(string(src))
	for _, u := range us {
		if !strings.Contains(all, u) {
			missing++
			fmt.Printf("missing: %s\n", u)
		}
	}
	fmt.Printf("%d of %d sentences, cells and code lines of %s found in %d files\n", len(us)-missing, len(us), *old, flag.NArg())
	if missing > 0 {
		os.Exit(1)
	}
}
