package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"

	"github.com/joho/godotenv"
)

// LoadDotEnv loads NAME=value lines from the file at path (normally ".env"
// in the working directory) into the process environment, with
// godotenv.Load's semantics: a variable that is already set, even to the
// empty string, is never overridden, so the real environment wins. A missing
// file is fine. A malformed file is an error naming the line.
//
// godotenv's syntax applies: '#' starts a comment, and in unquoted and
// double-quoted values $NAME and ${NAME} are replaced by earlier variables of
// the same file; write a value containing '$' in single quotes.
//
// Error messages never quote the file's content: the file holds secrets, and
// godotenv's own messages echo the rest of the file.
func LoadDotEnv(path string) error {
	src, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("env file: %w", err)
	}
	vars, err := parseDotEnv(path, src)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(vars))
	for name := range vars {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if _, set := os.LookupEnv(name); set {
			continue
		}
		if err := os.Setenv(name, vars[name]); err != nil {
			return fmt.Errorf("env file %s: set %s: %w", path, name, err)
		}
	}
	return nil
}

// parseDotEnv parses a .env file and checks that every name is a portable
// variable name (godotenv also accepts '.', spaces and a missing name).
func parseDotEnv(path string, src []byte) (map[string]string, error) {
	vars, err := godotenv.UnmarshalBytes(src)
	if err != nil {
		return nil, fmt.Errorf("env file %s line %d: cannot parse it: write NAME=value, and put a value containing spaces, '#', '$' or quotes in single quotes",
			path, dotEnvErrorLine(src))
	}
	for name := range vars {
		if !isEnvName(name) {
			return nil, fmt.Errorf("env file %s: %q is not a valid variable name: write NAME=value with a NAME of letters, digits and _", path, name)
		}
	}
	return vars, nil
}

// dotEnvErrorLine finds the line of a parse error: the line after the
// longest prefix of whole lines that parses. (godotenv reports no position.)
// A quoted value may span lines, so a shorter prefix can fail while a longer
// one parses; taking the longest parsing prefix handles that.
func dotEnvErrorLine(src []byte) int {
	lines := bytes.SplitAfter(src, []byte("\n"))
	good := 0
	for k := 1; k <= len(lines); k++ {
		if _, err := godotenv.UnmarshalBytes(bytes.Join(lines[:k], nil)); err == nil {
			good = k
		}
	}
	return good + 1
}
