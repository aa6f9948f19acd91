package sim

// appendDoubling appends v to s, doubling the capacity when s is full.
// append grows a long slice by a quarter at a time, so a run's execution
// logs and history (hundreds of thousands of entries each) were copied
// about four times over into fresh memory; doubling copies them once.
func appendDoubling[T any](s []T, v T) []T {
	if len(s) == cap(s) {
		grown := make([]T, len(s), max(2*cap(s), 64))
		copy(grown, s)
		s = grown
	}
	return append(s, v)
}
