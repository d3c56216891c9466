package sqlite

// lastSubscriberID is an SQL expression for the highest subscriber id ever
// used: the highest present, or a removed subscriber's, which its events
// keep (a removal always records one, and events are never deleted).
// New subscribers take the ids above it. SQLite alone would give the next
// one the id of a removed subscriber who had the highest: their events,
// deliveries and the links signed with that id in mail already sent would
// become the newcomer's.
const lastSubscriberID = `max(COALESCE((SELECT max(id) FROM subscribers), 0),
	COALESCE((SELECT max(subscriber_id) FROM events), 0))`
