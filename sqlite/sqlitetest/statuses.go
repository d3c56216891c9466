package sqlitetest

// sqlText quotes one of the domain's statuses or kinds as an SQL string
// literal, so that the helpers' SQL names them through the constants as
// the store's does (sqlite's TestStatusesInSQL checks both).
func sqlText[T ~string](v T) string { return `'` + string(v) + `'` }
