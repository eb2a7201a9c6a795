/**
 * Checkpoint entries that TensorFlow writes for its own restoring, not model weights. The names
 * follow TensorFlow's object-based checkpoint keys (tensorflow/python/trackable/constants.py and
 * trackable_utils.py at master):
 *
 *   <object path>/.ATTRIBUTES/<attribute>                   a trackable's saved attribute
 *   <variable key>/.OPTIMIZER_SLOT/<optimizer path>/<slot>  an optimizer's slot for a variable
 *   _CHECKPOINTABLE_OBJECT_GRAPH                            OBJECT_GRAPH_PROTO_KEY: the
 *                                                           TrackableObjectGraph proto (DT_STRING)
 *
 * Every path component is an edge name escaped by escape_local_name ("." becomes "..", "/"
 * becomes ".S"), so a component that is exactly ".ATTRIBUTES" or ".OPTIMIZER_SLOT" can only be
 * TensorFlow's own marker, never a user's name.
 *
 * Kiln leaves these out of every conversion (with a plan warning naming them) because they are
 * not part of the model: the object graph and JSON state are strings no output can carry, and
 * the counters and optimizer state are numbers that every output could carry but that no loader
 * of the converted model wants. The counters are recognised by their exact names only
 * (tf.train.Checkpoint's root `save_counter`, TF1's `global_step`): a number stored under any
 * other name may be a real weight, so it is converted, or refused when its type cannot be.
 */

/** TensorFlow's OBJECT_GRAPH_PROTO_KEY. */
export const OBJECT_GRAPH_PROTO_KEY = '_CHECKPOINTABLE_OBJECT_GRAPH';

const ATTRIBUTES = '.ATTRIBUTES';
const OPTIMIZER_SLOT = '.OPTIMIZER_SLOT';

/** Why `name` is TensorFlow checkpoint bookkeeping rather than a weight, or null when it may be a weight. */
export function checkpointBookkeeping(name: string): string | null {
  if (name === OBJECT_GRAPH_PROTO_KEY) return 'the object graph TensorFlow restores by (a TrackableObjectGraph proto)';
  // TF1 Saver: tf.train.get_or_create_global_step() names its int64 counter exactly this
  if (name === 'global_step') return 'a training step counter';
  const parts = name.split('/');
  if (parts.includes(OPTIMIZER_SLOT)) return 'optimizer slot variables (training state, not weights)';
  const at = parts.indexOf(ATTRIBUTES);
  if (at < 0) return null;
  const path = parts.slice(0, at);
  const attribute = parts.slice(at + 1).join('/');
  // OBJECT_CONFIG_JSON_KEY: Python state (a Keras object's config) saved as a JSON string
  if (attribute === 'OBJECT_CONFIG_JSON') return 'Python object state saved as JSON';
  // tf.train.Checkpoint tracks its own save counter at the root as "save_counter"
  if (path.length === 1 && (path[0] === 'save_counter' || path[0] === 'global_step')) return 'a training step counter';
  // tf.train.Checkpoint(optimizer=...) and Keras models (Model.optimizer) track the optimizer
  // under the edge "optimizer": its iteration count, hyperparameters and, for the Keras
  // optimizers that keep slots in a list (optimizer/_variables/N), the slots themselves
  if (path.includes('optimizer')) return 'optimizer state (training state, not weights)';
  // Keras SavedModels reach metric state and serialization-only attributes through "keras_api";
  // the weights themselves are saved under the shorter path to each layer
  if (path.includes('keras_api')) return 'Keras serialization state (metrics and the like)';
  return null;
}
