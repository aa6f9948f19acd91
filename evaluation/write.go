package evaluation

import (
	"encoding/json"
	"os"
	"path/filepath"
)

// WriteResults writes results.json and every picture into dir.
func WriteResults(dir string, r *Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), append(js, '\n'), 0o644); err != nil {
		return err
	}
	return writePictures(dir, r)
}
