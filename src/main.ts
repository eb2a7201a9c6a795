import './page.css';
import '../components/kiln-app';
