package main

import (
	"archive/zip"
	"debug/buildinfo"
	"debug/elf"
	"fmt"
	"os"
	"strings"
)

type sizeSection struct {
	Bin, Zip        string
	BinBytes        int64
	ZipBytes        int64
	ZipEntries      []string
	Stripped        bool
	StrippedNote    string
	GoVersion       string // toolchain that built the binary
	BuildSettings   string
	MainUncompBytes uint64
}

func measureSizes(bin, zipPath string) (*sizeSection, error) {
	s := &sizeSection{Bin: bin, Zip: zipPath}
	st, err := os.Stat(bin)
	if err != nil {
		return nil, err
	}
	s.BinBytes = st.Size()
	if st, err = os.Stat(zipPath); err != nil {
		return nil, err
	}
	s.ZipBytes = st.Size()

	// Stripped: no symbol table and no DWARF (what -ldflags='-s -w' drops).
	f, err := elf.Open(bin)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", bin, err)
	}
	var kept []string
	for _, sec := range f.Sections {
		if sec.Name == ".symtab" || strings.HasPrefix(sec.Name, ".debug_") || strings.HasPrefix(sec.Name, ".zdebug_") {
			kept = append(kept, sec.Name)
		}
	}
	f.Close()
	s.Stripped = len(kept) == 0
	if s.Stripped {
		s.StrippedNote = "no .symtab, no DWARF"
	} else {
		s.StrippedNote = "still has " + strings.Join(kept, ", ")
	}

	if bi, err := buildinfo.ReadFile(bin); err == nil {
		s.GoVersion = bi.GoVersion
		var set []string
		for _, kv := range bi.Settings {
			switch kv.Key {
			case "CGO_ENABLED", "GOOS", "GOARCH", "GOAMD64", "-trimpath", "-ldflags":
				set = append(set, kv.Key+"="+kv.Value)
			}
		}
		s.BuildSettings = strings.Join(set, " ")
	}

	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", zipPath, err)
	}
	defer zr.Close()
	for _, zf := range zr.File {
		s.ZipEntries = append(s.ZipEntries, fmt.Sprintf("%s (%s, %d bytes)", zf.Name, zf.Mode(), zf.UncompressedSize64))
		if zf.Name == "main" {
			s.MainUncompBytes = zf.UncompressedSize64
		}
	}
	return s, nil
}
