# Residual MLP — functional API: residual blocks (Add), the inputs joined back (Concatenate)
# data: spiral
import keras
from keras import layers

inputs = keras.Input(shape=(2,))
x = layers.Dense(32, activation="relu")(inputs)
for i in range(2):
    h = layers.Dense(32, activation="relu")(x)
    h = layers.Dense(32)(h)
    x = layers.Add()([x, h])
    x = layers.Activation("relu")(x)
x = layers.Concatenate()([x, inputs])
outputs = layers.Dense(3, activation="softmax")(x)
model = keras.Model(inputs=inputs, outputs=outputs)

model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.005),
              loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=60, batch_size=32, validation_split=0.2)
