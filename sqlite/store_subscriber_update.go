package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"strings"

	"github.com/dispatchhq/dispatch/subscribers"
)

// UpdateSubscriber applies upd and records an "updated" event with actor
// when anything changed. It returns the subscriber as stored.
func (s *Store) UpdateSubscriber(ctx context.Context, id int64, upd subscribers.SubscriberUpdate, actor string) (*subscribers.Subscriber, error) {
	if upd.Attributes != nil {
		if err := checkAttributesSize(upd.Attributes, upd.MaxAttributesBytes); err != nil {
			return nil, err
		}
	}
	var out *subscribers.Subscriber
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		sub, err := findSubscriberTx(ctx, tx, id)
		if err != nil {
			return err
		}
		name, attrs := sub.Name, sub.Attributes
		if upd.Name != nil {
			name = strings.TrimSpace(*upd.Name)
		}
		if upd.Attributes != nil {
			attrs = maps.Clone(upd.Attributes)
		}
		if attrs == nil {
			attrs = map[string]any{}
		}
		if name == sub.Name && reflect.DeepEqual(attrs, sub.Attributes) {
			out = sub
			return nil
		}
		js, err := json.Marshal(attrs)
		if err != nil {
			return fmt.Errorf("encode attributes: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE subscribers SET name = ?, attributes = ?, updated_at = ? WHERE id = ?`,
			name, string(js), formatTime(s.now()), id); err != nil {
			return fmt.Errorf("update subscriber %d: %w", id, err)
		}
		if err := s.insertEvent(ctx, tx, subscribers.Event{SubscriberID: id, Type: subscribers.EventUpdated, Actor: actor}); err != nil {
			return err
		}
		out, err = findSubscriberTx(ctx, tx, id)
		return err
	})
	return out, err
}
