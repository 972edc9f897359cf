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
	Bin, Zip           string
	BinBytes, ZipBytes int64
	ZipEntries         []string
	Stripped           []string // the symbol and DWARF sections still there
	Build              string   // the toolchain and settings that built the binary
	MainBytes          uint64   // main's size in the zip
}

func measureSizes(bin, zipPath string) (*sizeSection, error) {
	s := &sizeSection{Bin: bin, Zip: zipPath}
	for path, n := range map[string]*int64{bin: &s.BinBytes, zipPath: &s.ZipBytes} {
		st, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		*n = st.Size()
	}
	// Stripped: no symbol table and no DWARF (what -ldflags='-s -w' drops).
	f, err := elf.Open(bin)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", bin, err)
	}
	for _, sec := range f.Sections {
		if sec.Name == ".symtab" || strings.HasPrefix(sec.Name, ".debug_") || strings.HasPrefix(sec.Name, ".zdebug_") {
			s.Stripped = append(s.Stripped, sec.Name)
		}
	}
	f.Close()
	if bi, err := buildinfo.ReadFile(bin); err == nil {
		s.Build = bi.GoVersion + ","
		for _, kv := range bi.Settings {
			switch kv.Key {
			case "CGO_ENABLED", "GOOS", "GOARCH", "GOAMD64", "-trimpath", "-ldflags":
				s.Build += " " + kv.Key + "=" + kv.Value
			}
		}
	}
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", zipPath, err)
	}
	defer zr.Close()
	for _, zf := range zr.File {
		s.ZipEntries = append(s.ZipEntries, fmt.Sprintf("%s (%s, %d bytes)", zf.Name, zf.Mode(), zf.UncompressedSize64))
		if zf.Name == "main" {
			s.MainBytes = zf.UncompressedSize64
		}
	}
	return s, nil
}

func (s *sizeSection) strippedNote() string {
	if len(s.Stripped) == 0 {
		return "no .symtab, no DWARF"
	}
	return "still has " + strings.Join(s.Stripped, ", ")
}
