# Capped ReLU — ReLU(max_value=0.5) keeps hidden units in [0, 0.5] (as ReLU6), then LeakyReLU
# data: circle
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(2,)),
    layers.Dense(16),
    layers.ReLU(max_value=0.5),
    layers.Dense(16),
    layers.LeakyReLU(negative_slope=0.1),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
              loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=40, batch_size=32, validation_split=0.2)
