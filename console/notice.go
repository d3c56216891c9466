package console

import "fmt"

// notice is an error whose text is shown to the admin as written: a whole
// sentence, capitalised and punctuated, unlike an error meant for wrapping.
type notice string

func (n notice) Error() string { return string(n) }

// noticef formats a notice.
func noticef(format string, args ...any) notice { return notice(fmt.Sprintf(format, args...)) }
