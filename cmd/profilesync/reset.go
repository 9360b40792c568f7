package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/devstack"
)

const resetHelp = `
Usage: profilesync reset [flags]

Empty the local stack's data directory, to start the quickstart again: it
removes the queues and dead-letter queues, the sync state and the notices
(profilesync.db), what the sandbox fakes hold (sandbox/) and the stored
oversized bodies (bodies/). The secrets (secrets/) stay unless --secrets is
given; profilesync dev writes the development ones again on its next start.
Stop profilesync dev first: reset refuses while a stack answers at --url.
profilesync dev --reset does the same and then starts the stack.`

func runReset(ctx context.Context, c *cli, args []string) error {
	f := newFlags("reset", resetHelp)
	data := f.String("data", defaultData, "data `dir`ectory to empty")
	secrets := f.Bool("secrets", false, "remove the secrets too")
	url := f.String("url", defaultURL, "`URL` where a running stack would answer")
	if _, err := f.parse(c, args, 0, 0); err != nil {
		return err
	}
	if stackAnswers(ctx, *url) {
		return fmt.Errorf("a stack is running at %s: stop profilesync dev (Ctrl-C) first, or use profilesync dev --reset", *url)
	}
	return reset(c, *data, *secrets)
}

// reset empties data and says what it removed.
func reset(c *cli, data string, secrets bool) error {
	removed, err := devstack.Reset(data, secrets)
	for _, it := range removed {
		if strings.HasPrefix(it.What, "(") {
			continue // the database's companions: said with the database
		}
		fmt.Fprintf(c.stdout, "removed %s: %s\n", filepath.Join(data, it.Path), it.What)
	}
	if err != nil {
		return err
	}
	if len(removed) == 0 {
		fmt.Fprintf(c.stdout, "%s holds nothing to reset\n", filepath.Clean(data))
	}
	if !secrets {
		fmt.Fprintf(c.stdout, "kept %s (--secrets removes them)\n", filepath.Join(data, "secrets"))
	}
	return nil
}

// stackAnswers reports whether a local stack answers GET <url>/healthz.
func stackAnswers(ctx context.Context, url string) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(url, "/")+"/healthz", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
