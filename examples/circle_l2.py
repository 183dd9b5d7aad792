# Circle with L2 — a disc inside a ring, two relu layers smoothed by an L2 penalty (RMSprop)
# data: circle
import keras
from keras import layers, regularizers

model = keras.Sequential([
    keras.Input(shape=(2,)),
    layers.Dense(16, activation="relu", kernel_regularizer=regularizers.l2(0.001)),
    layers.Dense(16, activation="relu", kernel_regularizer=regularizers.l2(0.001)),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.01),
              loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=60, batch_size=32, validation_split=0.2)
