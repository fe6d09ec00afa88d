// Package report draws what a Keras user looks at after a run: the training
// curves, the confusion matrix, the test images the model got most confidently
// wrong, and one self-contained index.html that shows them beside the run's
// settings and final figures.
//
// Write takes a Run (History from training, Evaluation from a test set,
// Settings as ordered key/value pairs) and writes curves.png, confusion.png,
// errors.png and index.html into a folder; each picture is drawn only when the
// Run holds its data. A Run is also a JSON document (ReadRun) whose history
// keys are Keras' own (loss, accuracy, val_loss, val_accuracy), so
// `keel report --from RUN.json` draws the same report from a dump.
//
// The charts are drawn with gonum.org/v1/plot; the error grid with the
// standard image packages, its images decoded by imagedata and shrunk with
// golang.org/x/image/draw.
package report
