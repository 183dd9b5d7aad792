# Capped ReLU — layers.ReLU(max_value=0.5) keeps each hidden unit in [0, 0.5] (ReLU6 caps at 6 the same way)
# data: circle
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(2,)),
    layers.Dense(16),
    layers.ReLU(max_value=0.5),
    layers.Dense(16),
    layers.ReLU(),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
              loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=40, batch_size=32, validation_split=0.2)
