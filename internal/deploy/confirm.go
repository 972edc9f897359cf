package deploy

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"redis-restore/internal/config"
)

// ErrNotConfirmed is a deploy, rollback or destroy that nobody said yes to.
var ErrNotConfirmed = errors.New("nothing changed: not confirmed")

// asker returns the question a deploy puts before it changes anything:
// answered from in (a terminal, or what is piped in) unless yes says it
// is answered already (-yes, make deploy AUTO_APPROVE=1). No answer at all
// (no stdin, or it ends) is a no: a deploy nobody watches must say so on
// its command line.
func asker(in io.Reader, out io.Writer, yes bool, who string) func(string) error {
	return func(question string) error {
		if yes {
			fmt.Fprintf(out, "%s %s: yes (-yes)\n", who, question)
			return nil
		}
		fmt.Fprintf(out, "%s %s [yes/no] ", who, question)
		if in == nil {
			fmt.Fprintln(out)
			return fmt.Errorf("%w: no stdin to answer on; pass -yes (make deploy AUTO_APPROVE=1) to go ahead without asking", ErrNotConfirmed)
		}
		line, err := bufio.NewReader(in).ReadString('\n')
		answer := strings.TrimSpace(line)
		if answer == "" && err != nil {
			fmt.Fprintln(out)
			return fmt.Errorf("%w: stdin ended without an answer; pass -yes (make deploy AUTO_APPROVE=1) to go ahead without asking", ErrNotConfirmed)
		}
		ok, perr := config.ParseBool(answer)
		switch {
		case perr != nil:
			return fmt.Errorf("%w: %q is not yes or no", ErrNotConfirmed, answer)
		case !ok:
			return fmt.Errorf("%w: answered %s", ErrNotConfirmed, answer)
		}
		return nil
	}
}
