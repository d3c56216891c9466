// Command oneclick prepares and checks the one-click unsubscribe load test
// (docs/benchmarks.md, run.sh beside this file).
//
//	go run ./bench/oneclick paths -db D -secret S -list L > paths.txt
//	go run ./bench/oneclick count -db D -list L
//
// paths prints one "/u/TOKEN" per subscriber of the list, the link each
// would find in List-Unsubscribe. count prints how many of the list's
// subscriptions are unsubscribed, so a run can be checked against the
// number of 200s wrk saw.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "oneclick:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: oneclick paths|count -db FILE -list NAME [-secret S]")
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	db := fs.String("db", "", "database file")
	secret := fs.String("secret", "", "web.secret of the server under test")
	list := fs.String("list", "", "list name")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if _, err := os.Stat(*db); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	ctx := context.Background()
	s, err := sqlite.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	l, err := s.FindListByName(ctx, *list)
	if err != nil {
		return err
	}
	switch args[0] {
	case "paths":
		tokens, err := subscribers.NewTokens(*secret)
		if err != nil {
			return err
		}
		return s.FindSubscribers(ctx, subscribers.SubscriberFilter{List: *list}, func(sub *subscribers.Subscriber) error {
			tok := tokens.Unsubscribe(subscribers.UnsubscribeRef{SubscriberID: sub.ID, ListID: l.ID})
			_, err := fmt.Printf("/u/%s\n", tok)
			return err
		})
	case "count":
		// FindLists counts each list's subscriptions by status.
		lists, err := s.FindLists(ctx)
		if err != nil {
			return fmt.Errorf("count unsubscribed: %w", err)
		}
		for _, fl := range lists {
			if fl.ID == l.ID {
				fmt.Println(fl.Unsubscribed)
				return nil
			}
		}
		return fmt.Errorf("count unsubscribed: list %q: %w", l.Name, subscribers.ErrNotFound)
	}
	return fmt.Errorf("unknown command %q: want paths or count", args[0])
}
