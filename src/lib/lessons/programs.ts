/**
 * The spiral network (examples/spiral.py: two relu layers of 16 and a softmax over 3 classes) as the lessons that
 * vary one setting around it start it: their own first line, their epochs, their optimizer. One text, so the lessons
 * that race or export "the spiral network" really start from the same program.
 */
export function spiralNetwork(header: string, { epochs = 20, optimizer = 'keras.optimizers.Adam(learning_rate=0.01)' } = {}): string {
  return `# ${header}
# data: spiral
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(2,)),
    layers.Dense(16, activation="relu"),
    layers.Dense(16, activation="relu"),
    layers.Dense(3, activation="softmax"),
])
model.compile(optimizer=${optimizer},
              loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=${epochs}, batch_size=32, validation_split=0.2)
`;
}
